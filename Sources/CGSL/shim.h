#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_version.h>

// Swift 6 rejects reading this mutable C global directly; a function returning it is fine.
static inline const gsl_rng_type *recbench_rng_mt19937(void) { return gsl_rng_mt19937; }
static inline const char *recbench_gsl_version(void) { return gsl_version; }
