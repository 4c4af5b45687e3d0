// qstrs used by the port that the qstr scanner cannot see.
Q(/)
Q(/lib)
