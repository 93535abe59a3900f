/* Which random stream serves which purpose. A Philox stream id packs what the numbers
 * are for, so that they never depend on the thread that draws them:
 * bits 60-63 purpose, 40-59 epoch (or Monte-Carlo pass), 8-39 batch, 0-7 layer. */
#ifndef BA_STREAMS_H
#define BA_STREAMS_H

#include <stdint.h>

enum stream_purpose {
    STREAM_INIT = 1,         /* parameter initialisation */
    STREAM_SHUFFLE = 2,      /* the training set's order in each epoch */
    STREAM_TRAIN_NOISE = 3,  /* weight or pre-activation noise while training */
    STREAM_VAL_NOISE = 4,    /* the same in the validation pass */
    STREAM_PREDICT_NOISE = 5 /* Monte-Carlo prediction */
};

static inline uint64_t stream_id(enum stream_purpose purpose, uint64_t epoch, uint64_t batch,
                                 unsigned layer)
{
    return ((uint64_t)purpose << 60) | ((epoch & 0xFFFFF) << 40) |
           ((batch & 0xFFFFFFFF) << 8) | (layer & 0xFF);
}

#endif
