# doxygen-filter.sed - Doxygen INPUT_FILTER for include/patchtsmixer.h (see Doxyfile). The header
# keeps plain C comments; this turns them into Doxygen's on the fly:
#   the file's opening comment "/* name.h - text"   -> "/** @file name.h" + text
#   a comment after code on its line  "int x; /* a */" -> "int x; /**< a */" (documents x)
#   a comment opening a line           "/* text"       -> "/** text" (documents what follows)
# Section rulers ("/* ----- errors", "/* ===== training") stay plain comments.
1s|^/\* \([A-Za-z0-9_.]*\) - \(.*\)$|/** @file \1 \2|
/^[[:space:]]*\/\* *[-=]\{4,\}/b
s|^\([[:space:]]*[^[:space:]/*][^/]*\)/\* |\1/**< |
s|^\([[:space:]]*\)/\* |\1/** |
