/* inline/lib/gvec: the generic algorithms as an external library. */
#define GVEC_LINKAGE
#define GVEC_NAME(x) gvec_##x
#include "gvec_impl.h"
