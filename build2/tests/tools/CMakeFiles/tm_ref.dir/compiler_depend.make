# Empty compiler generated dependencies file for tm_ref.
# This may be replaced when dependencies are built.
