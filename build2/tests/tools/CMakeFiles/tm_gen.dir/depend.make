# Empty dependencies file for tm_gen.
# This may be replaced when dependencies are built.
