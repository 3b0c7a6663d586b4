# CMAKE generated file: DO NOT EDIT!
# Timestamp file for compiler generated dependencies management for tm_h5mangle.
