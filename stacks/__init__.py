"""The sample app's stacks: composition of the library's constructs, no rules of their own."""
