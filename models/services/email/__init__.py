"""The email channel: one entry point for a message (`receive.receive`), above the use cases.

    poll.py         read the IMAP folder, hand each message to receive, file it
    receive.py      raw bytes stored and committed, then decided in one transaction
    decide.py       refuse, ignore, authenticate (token, thread, subject tag), then act
    commands.py     a staff or applicant command applied through the review use cases
    submissions.py  a new form by email (JSON attachment or `Field: value` text)
    requests.py     a provider's account request or opportunity by email
    reports.py      a provider's activity report by email
    replies.py      error replies: one per sender and reason a day, known senders only
    handled.py      what handling a message came to (recorded on the inbound row)

Nothing below this package imports it: the use cases in `models/services/` serve the
CLI, the web and this channel alike.
"""
