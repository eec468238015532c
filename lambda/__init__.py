"""Lambda handler code shipped with the library; each folder is one function asset."""
