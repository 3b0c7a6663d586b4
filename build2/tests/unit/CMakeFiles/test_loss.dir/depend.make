# Empty dependencies file for test_loss.
# This may be replaced when dependencies are built.
