"""Following: pure profiles (target in image -> CommandIntent) and the safety gate before the commander."""
