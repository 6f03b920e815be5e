// paperfeed's little JavaScript: every page works without it. It renders math with KaTeX (when
// installed), votes, saves, rates and comments without a reload, and updates search results as you type.
(function () {
  "use strict";

  function renderMath(root) {
    if (!window.katex) return; // no KaTeX files: the TeX source stays visible as written
    root.querySelectorAll("span.math[data-tex]:not([data-rendered])").forEach(function (el) {
      try {
        window.katex.render(el.dataset.tex, el, {
          displayMode: el.dataset.display === "true", throwOnError: false, strict: "ignore",
          trust: false, maxExpand: 1000, maxSize: 50,
        });
        el.dataset.rendered = "true";
      } catch (e) { /* leave the source */ }
    });
  }

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  // Voting: post the form with fetch and update the count in place; fall back to a normal submit.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.upvote")) return;
    if (!form.hasAttribute("data-signed-in")) return; // signed out: the plain post leads to the sign-in page
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken(form) },
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (data) {
      form.querySelector(".upvote-count").textContent = data.upvotes;
      form.classList.toggle("voted", !!data.voted);
      form.action = data.voted ? form.dataset.unvote : form.dataset.vote;
      if (button) button.setAttribute("aria-pressed", data.voted ? "true" : "false");
    }).catch(function () {
      form.submit(); // signed out, expired session...: let the server answer with a page
    }).finally(function () {
      if (button) button.disabled = false;
    });
  });

  // The library's buttons (Save, more / less like this, a saved paper's note, move, copy, remove): post the
  // form with fetch and apply the paper's new state (api_models.LibraryState) to every copy of it on the page.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-library]")) return;
    event.preventDefault();
    var submitter = event.submitter;
    var body = new FormData(form);
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; });
    fetch(form.getAttribute("action"), { // the attribute: a field named "action" would shadow the property
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken(form) },
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (state) {
      showLibraryState(state);
    }).catch(function () {
      if (submitter && submitter.name) { // the plain post carries the button pressed too
        var field = document.createElement("input");
        field.type = "hidden"; field.name = submitter.name; field.value = submitter.value;
        form.appendChild(field);
      }
      form.submit(); // signed out, expired session, refused input...: let the server answer with a page
    }).finally(function () {
      buttons.forEach(function (button) { button.disabled = false; });
    });
  });

  function showLibraryState(state) {
    document.querySelectorAll("[data-key]").forEach(function (el) {
      if (el.dataset.key !== state.paper) return;
      if (el.matches(".library-item")) {
        var list = el.closest("[data-collection]");
        var inView = !list || state.collections.some(function (c) { return String(c.id) === list.dataset.collection; });
        if (!state.saved || !inView) { el.remove(); return; }
        var tags = el.querySelector(".item-collections");
        if (tags) {
          tags.textContent = "";
          state.collections.forEach(function (c) {
            var tag = document.createElement("span");
            tag.className = "collection-tag"; tag.textContent = c.name; // text, never markup
            tags.appendChild(tag);
          });
        }
        var label = el.querySelector(".item-collections-label");
        if (label) label.textContent = state.collections.length ? " · in" : "";
        var note = el.querySelector(".note-form textarea");
        if (note && document.activeElement !== note) note.value = state.note || "";
      }
      var save = el.querySelector("form.save-toggle");
      if (save && el.matches(".library-actions")) {
        save.classList.toggle("saved", state.saved);
        save.setAttribute("action", state.saved ? save.dataset.unsave : save.dataset.save);
        save.querySelector("button").setAttribute("aria-pressed", state.saved ? "true" : "false");
        save.querySelector(".save-label").textContent = state.saved ? "Saved" : "Save";
      }
      var rating = el.matches(".library-actions") && el.querySelector("form.rating");
      if (rating) {
        rating.querySelectorAll("button[data-rating]").forEach(function (button) {
          var pressed = state.rating === button.dataset.rating;
          button.setAttribute("aria-pressed", pressed ? "true" : "false");
          button.value = pressed ? "none" : button.dataset.rating;
        });
      }
    });
  }

  // Live search: fetch the results page for the form's current values and swap the results in.
  function liveSearch() {
    var form = document.getElementById("search-form");
    var results = document.getElementById("search-results");
    if (!form || !results || !window.DOMParser) return;
    var timer = null, controller = null;
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var params = new URLSearchParams();
        new FormData(form).forEach(function (value, name) { // empty fields stay out of the address
          if (value !== "" && name !== "page") params.append(name, value);
        });
        if (!params.get("q") && !params.get("author") && !params.get("category")) return;
        if (controller) controller.abort();
        controller = new AbortController();
        var url = form.action + "?" + params.toString();
        fetch(url, { headers: { "Accept": "text/html" }, signal: controller.signal })
          .then(function (response) { return response.text(); })
          .then(function (html) {
            var page = new DOMParser().parseFromString(html, "text/html");
            var fresh = page.getElementById("search-results");
            if (!fresh) return;
            results.innerHTML = fresh.innerHTML;
            renderMath(results);
            history.replaceState(null, "", url);
          }).catch(function () { /* typing on; the form still submits */ });
      }, 250);
    });
  }

  // Comments: post, reply and delete without a reload. The server renders the new comment's HTML
  // (sanitized there); a refused comment shows the server's message beside the form, and anything
  // else (signed out, network) falls back to the plain form post.
  function commentRequest(form) {
    return fetch(form.getAttribute("action"), {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken(form) },
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) return data;
        var problem = new Error(String(response.status));
        if (response.status === 400 || response.status === 422 || response.status === 429) {
          problem.shown = (data.error && data.error.message) || "This comment could not be posted.";
        }
        throw problem;
      });
    });
  }

  function fragment(html) {
    return new DOMParser().parseFromString(html, "text/html").body.firstElementChild;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.comment-form, form.comment-delete")) return;
    event.preventDefault();
    var deleting = form.matches("form.comment-delete");
    if (deleting && !window.confirm("Delete this comment?")) return;
    var error = form.querySelector(".form-error");
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    commentRequest(form).then(function (data) {
      if (error) error.hidden = true;
      if (deleting) {
        var gone = form.closest("article.comment");
        var thread = gone.closest(".comment-thread");
        var isTop = thread && thread.firstElementChild === gone;
        if (isTop && thread.querySelector(".replies article.comment")) {
          gone.classList.add("comment-deleted");
          gone.innerHTML = '<p class="comment-meta"><span class="comment-gone">Comment deleted</span></p>';
        } else {
          (isTop ? thread : gone).remove();
        }
        return;
      }
      var added = fragment(data.html);
      var replyTo = form.dataset.replyTo;
      if (replyTo) {
        document.querySelector('[data-replies="' + replyTo + '"]').appendChild(added);
        var box = form.closest("details");
        if (box) box.open = false;
      } else {
        var list = document.querySelector("[data-comments]");
        var empty = list.querySelector("[data-no-comments]");
        if (empty) empty.remove();
        list.appendChild(added);
      }
      form.querySelector("textarea").value = "";
      renderMath(added);
      added.scrollIntoView({ block: "nearest" });
    }).catch(function (problem) {
      if (problem.shown && error) {
        error.textContent = problem.shown; // text, never markup
        error.hidden = false;
      } else {
        form.submit();
      }
    }).finally(function () {
      if (button) button.disabled = false;
    });
  });

  // Fill an empty time zone field with the browser's zone; the form works the same without it.
  function detectTimezone() {
    var field = document.querySelector("[data-detect-timezone]");
    try {
      if (field && !field.value) field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) { /* leave it empty: the site's default applies */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderMath(document);
    liveSearch();
    detectTimezone();
  });
})();
