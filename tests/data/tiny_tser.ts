# tiny_tser.ts - a hand-written TSER-style regression file for tests/test_data_ts.c:
# univariate, variable length (3, 5 and 1 values), one missing value, real targets.
@problemName TinyTSER
@univariate true
@equalLength false
@targetLabel true
@data
1,2,3:0.5
4,?,6,7,8:-1.25

9:3e2
