# Empty dependencies file for tripminer_lib.
# This may be replaced when dependencies are built.
