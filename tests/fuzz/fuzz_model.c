/* libFuzzer harness for model files: the input is one model.safetensors, loaded as
 * predict and evaluate load it (ba_model_load's code from memory): the safetensors
 * container (header length, JSON header, dtypes, shapes, offsets, the data), its
 * __metadata__ strings (architecture, activation, features, standardisation constants)
 * and the tensors against the architecture. */
#include <stdint.h>

#include "fuzz_common.h"
#include "nn/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ba_error err = {{0}};
    ba_model *m = model_load_mem(data, size, "fuzz.safetensors", &err);
    if (!m) {
        fuzz_check_message("model_load", err.msg);
        return 0;
    }
    /* A model that loads is one that predict can use. */
    fuzz_require(model_params_finite(m), "loaded parameters are finite");
    const ba_preprocessing *pre = ba_model_preprocessing(m);
    fuzz_require(ba_model_arch(m)->n_inputs == pre->n_features,
                 "the network's inputs match its features");
    fuzz_require(pre->gluon_pt_mean > 0 && pre->y_std > 0, "normalisations are positive");
    ba_model_free(m);
    return 0;
}
