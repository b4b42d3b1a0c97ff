# tiny_uea.ts - a hand-written UEA-style classification file for tests/test_data_ts.c:
# 2 dimensions, variable length (4, 4 and 2 values), one missing value ('?'), 3 classes
# listed in @classLabel (so "flat" has no case and "down" comes before "up" in the cases).
@problemName TinyUEA
@timeStamps false
@missing true
@univariate false
@dimensions 2
@equalLength false
@classLabel true up down flat
@data
1,2,3,4:5,6,7,8:down
1.5,?,2.5,3.5:-1,-2,-3,-4:up
9,10:11,12:down
