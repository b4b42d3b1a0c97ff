/* freq_token.c - the frequency token of TinyTimeMixer's prefix patch for a time step: granite-
 * tsfm's DEFAULT_FREQUENCY_MAPPING (tsfm_public/toolkit/time_series_preprocessor.py), whose
 * pandas offsets are matched here by their length in seconds; any other step is "oov" (0).
 */
#include "patchtsmixer.h"

int ptm_frequency_token(int64_t step_seconds) {
    static const struct {
        int64_t sec;
        int token;
    } MAP[] = {{60, 1},   {120, 2},  {300, 3},   {600, 4},   {900, 5},
               {1800, 6}, {3600, 7}, {86400, 8}, {604800, 9}};
    for (size_t k = 0; k < sizeof MAP / sizeof MAP[0]; k++)
        if (MAP[k].sec == step_seconds) return MAP[k].token;
    return 0;
}
