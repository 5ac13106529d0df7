// zlib from the system (Debian: zlib1g-dev), for gzip-compressed inputs. Nothing but the header.
#include <zlib.h>
