/* libFuzzer harness for the .npy reader: the input is one .npy file, read both whole
 * (npy_read_mem, what train, evaluate and amplitude use) and through the streaming
 * npy_reader (what predict uses). The two must agree: same verdict, same shape, and
 * the streamed values bit for bit those of the whole read, piece by piece; reads past
 * the end must be refused. */
#include <stdint.h>
#include <string.h>

#include "data/npy.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ba_error err_whole = {{0}}, err_stream = {{0}};
    npy_array a;
    int whole = npy_read_mem(data, size, "fuzz.npy", &a, &err_whole);
    npy_reader r;
    int stream = npy_reader_open_mem(&r, data, size, "fuzz.npy", &err_stream);
    fuzz_require((whole == 0) == (stream == 0), "npy_read and npy_reader agree on validity");
    if (whole) {
        fuzz_check_message("npy_read", err_whole.msg);
        fuzz_check_message("npy_reader_open", err_stream.msg);
        fuzz_require(strcmp(err_whole.msg, err_stream.msg) == 0,
                     "npy_read and npy_reader give the same error");
        fuzz_require(a.data == NULL && a.count == 0, "a failed read leaves the array empty");
        return 0;
    }
    fuzz_require(a.ndim == r.ndim && a.count == r.count &&
                     memcmp(a.shape, r.shape, sizeof a.shape) == 0,
                 "npy_read and npy_reader agree on the shape");
    /* Pieces of 7 values, an odd size, so that they straddle the reader's chunks. */
    double piece[7];
    for (size_t first = 0; first < r.count; first += 7) {
        size_t n = r.count - first < 7 ? r.count - first : 7;
        ba_error err = {{0}};
        fuzz_require(npy_reader_read(&r, first, n, piece, &err) == 0,
                     "a range inside a valid file reads");
        fuzz_require(memcmp(piece, a.data + first, n * sizeof *piece) == 0,
                     "streamed values equal the whole read");
    }
    ba_error err = {{0}};
    fuzz_require(npy_reader_read(&r, r.count, 1, piece, &err) != 0,
                 "a read past the end is refused");
    fuzz_check_message("npy_reader_read", err.msg);
    fuzz_require(npy_reader_read(&r, 0, 0, piece, &err) == 0, "an empty read succeeds");
    npy_reader_close(&r);
    npy_free(&a);
    return 0;
}
