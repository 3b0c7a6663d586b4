file(REMOVE_RECURSE
  "libtripminer.a"
)
