"""Daily and weekly email digests: subscriptions with double opt-in, personal content, exactly-once sending.

    subscriptions.py  the rules a subscription request must satisfy (pure)
    tokens.py         signed links: confirm, manage preferences, unsubscribe
    signup.py         subscribe, confirm, change, unsubscribe (store + confirmation mail)
    schedule.py       who is due when, in each subscriber's time zone (pure)
    candidates.py     the papers a batch can choose from: new, trending, saved-query hits (store + search)
    compose.py        which papers go into one subscriber's digest, and why (pure)
    message.py        the EmailMessage of a digest or a confirmation, HTML and plain text (pure)
    mailer.py         SMTP: the only module that talks to a mail server
    sender.py         the batch: plan digests, then send each exactly once
"""
