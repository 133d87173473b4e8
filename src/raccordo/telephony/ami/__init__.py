"""The Asterisk Manager Interface adapter: the line protocol (`protocol`), the calls it follows by Linkedid
(`tracker`), the persistent connection run by `raccordo telephony_ami` (`client`) and click-to-call (`originate`)."""
