/*
 * RFC 6962 §2.1 hashing in bulk, with OpenSSL's SHA-256 (the library Python's hashlib uses).
 *
 * Python's hashlib costs ~0.6 µs of call overhead per digest; a Merkle log hashes two digests
 * per entry (its leaf and, on average, one node), so verifying a large log is bound by that
 * overhead, not by SHA-256. These functions hash a whole run or level per call, with the GIL
 * released, and return the digests as one byte string of 32-byte hashes. They are optional:
 * mamori.engines.merkle.bulk falls back to hashlib when this module is not built.
 *
 *   leaf_hashes(bodies)  SHA-256(0x00 || d) of every newline-separated body (a stored run)
 *   parents(hashes)      SHA-256(0x01 || left || right) of every pair: the level above
 *   perfect_root(hashes) the root of a power-of-two number of hashes
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <openssl/evp.h>

#define HASH 32

static EVP_MD *sha256;

static int
digest(EVP_MD_CTX *ctx, unsigned char prefix, const unsigned char *data, size_t size,
       unsigned char *out)
{
    return EVP_DigestInit_ex2(ctx, sha256, NULL) && EVP_DigestUpdate(ctx, &prefix, 1) &&
           EVP_DigestUpdate(ctx, data, size) && EVP_DigestFinal_ex(ctx, out, NULL);
}

/* Hash every pair of `count` hashes at `in` into `out` (which may be `in`: parents are
   written at half the offset of the pair they come from, never ahead of what is read). */
static int
hash_pairs(EVP_MD_CTX *ctx, const unsigned char *in, Py_ssize_t count, unsigned char *out)
{
    for (Py_ssize_t i = 0; i < count / 2; i++) {
        unsigned char parent[HASH];
        if (!digest(ctx, 0x01, in + 2 * i * HASH, 2 * HASH, parent))
            return 0;
        memcpy(out + i * HASH, parent, HASH);
    }
    return 1;
}

/* Release what a call took; return `result`, or NULL with an exception set. */
static PyObject *
finish(PyObject *result, int ok, EVP_MD_CTX *ctx, Py_buffer *view)
{
    EVP_MD_CTX_free(ctx);
    PyBuffer_Release(view);
    if (ok)
        return result;
    Py_XDECREF(result);
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "OpenSSL SHA-256 failed");
    return NULL;
}

static PyObject *
leaf_hashes(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const unsigned char *data = view.buf;
    Py_ssize_t size = view.len, count = 1;
    for (const unsigned char *p = data; (p = memchr(p, '\n', data + size - p)) != NULL; p++)
        count++;
    PyObject *result = PyBytes_FromStringAndSize(NULL, count * HASH);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = result != NULL && ctx != NULL;
    if (ok) {
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        Py_BEGIN_ALLOW_THREADS
        const unsigned char *start = data, *end = data + size;
        for (Py_ssize_t i = 0; ok && i < count; i++) {
            const unsigned char *stop = memchr(start, '\n', end - start);
            if (stop == NULL)
                stop = end;
            ok = digest(ctx, 0x00, start, stop - start, out + i * HASH);
            start = stop + 1;
        }
        Py_END_ALLOW_THREADS
    }
    return finish(result, ok, ctx, &view);
}

static int
hash_view(PyObject *arg, Py_buffer *view, int pairs)
{
    if (PyObject_GetBuffer(arg, view, PyBUF_SIMPLE) < 0)
        return 0;
    if (view->len % (pairs ? 2 * HASH : HASH)) {
        PyErr_Format(PyExc_ValueError, "%zd bytes is not a whole number of %s", view->len,
                     pairs ? "pairs of 32-byte hashes" : "32-byte hashes");
        PyBuffer_Release(view);
        return 0;
    }
    return 1;
}

static PyObject *
parents(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (!hash_view(arg, &view, 1))
        return NULL;
    Py_ssize_t count = view.len / HASH;
    PyObject *result = PyBytes_FromStringAndSize(NULL, count / 2 * HASH);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = result != NULL && ctx != NULL;
    if (ok) {
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        Py_BEGIN_ALLOW_THREADS
        ok = hash_pairs(ctx, view.buf, count, out);
        Py_END_ALLOW_THREADS
    }
    return finish(result, ok, ctx, &view);
}

static PyObject *
perfect_root(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (!hash_view(arg, &view, 0))
        return NULL;
    Py_ssize_t count = view.len / HASH;
    if (count == 0 || (count & (count - 1))) {
        PyBuffer_Release(&view);
        return PyErr_Format(PyExc_ValueError,
                            "a perfect subtree needs a power-of-two count, got %zd", count);
    }
    unsigned char *level = PyMem_Malloc(view.len);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = level != NULL && ctx != NULL;
    if (ok) {
        memcpy(level, view.buf, view.len);
        Py_BEGIN_ALLOW_THREADS
        for (; ok && count > 1; count /= 2)
            ok = hash_pairs(ctx, level, count, level);
        Py_END_ALLOW_THREADS
    }
    if (level == NULL)
        PyErr_NoMemory();
    PyObject *result = ok ? PyBytes_FromStringAndSize((const char *)level, HASH) : NULL;
    PyMem_Free(level);
    return finish(result, result != NULL, ctx, &view);
}

static PyMethodDef methods[] = {
    {"leaf_hashes", leaf_hashes, METH_O,
     "Return SHA-256(0x00 || d) of every newline-separated body, as 32-byte hashes."},
    {"parents", parents, METH_O,
     "Return SHA-256(0x01 || left || right) of every pair of 32-byte hashes."},
    {"perfect_root", perfect_root, METH_O,
     "Return the root of a power-of-two number of 32-byte hashes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef definition = {
    PyModuleDef_HEAD_INIT, "_hashes", "RFC 6962 hashing in bulk with OpenSSL.", -1, methods,
};

PyMODINIT_FUNC
PyInit__hashes(void)
{
    if (sha256 == NULL) {
        sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        if (sha256 == NULL) {
            PyErr_SetString(PyExc_ImportError, "OpenSSL has no SHA-256");
            return NULL;
        }
    }
    return PyModule_Create(&definition);
}
