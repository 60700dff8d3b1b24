// OpenBLAS's CBLAS interface plus the LAPACK routines Recbench uses. Debian's OpenBLAS ships
// LAPACK's Fortran symbols but not LAPACKE, so the Fortran entry points are declared here.
#include <cblas.h>

void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void spotrs_(const char *uplo, const int *n, const int *nrhs, const float *a, const int *lda,
             float *b, const int *ldb, int *info);
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void strtri_(const char *uplo, const char *diag, const int *n, float *a, const int *lda, int *info);
void dtrtri_(const char *uplo, const char *diag, const int *n, double *a, const int *lda, int *info);
void slauum_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void dlauum_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda,
             float *w, float *work, const int *lwork, int *iwork, const int *liwork, int *info);
void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda, float *s,
             float *u, const int *ldu, float *vt, const int *ldvt, float *work, const int *lwork,
             int *iwork, int *info);
void sgeqrf_(const int *m, const int *n, float *a, const int *lda, float *tau, float *work,
             const int *lwork, int *info);
void sorgqr_(const int *m, const int *n, const int *k, float *a, const int *lda, const float *tau,
             float *work, const int *lwork, int *info);
