"""What a dataflow promises and what the systems are: the data the harness and sandbox share."""
