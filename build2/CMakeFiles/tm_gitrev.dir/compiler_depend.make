# Empty custom commands generated dependencies file for tm_gitrev.
# This may be replaced when dependencies are built.
