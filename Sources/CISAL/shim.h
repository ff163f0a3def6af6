#ifndef CISAL_SHIM_H
#define CISAL_SHIM_H
// Intel ISA-L's inflate (igzip): the archive reader's raw deflate, about three times zlib's
// speed on x86-64 and arm64. Only the Compression module imports this.
#include <isa-l/igzip_lib.h>
#endif
