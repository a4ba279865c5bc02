"""Step definitions by domain: records, sync, properties. Each step parses its words and
calls one function of `talkqa.checks` or `talkqa.harness`."""
