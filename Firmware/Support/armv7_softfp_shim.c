// armv7 only. Swift ships its embedded Unicode tables for armv7-none-none-eabi, built for
// the soft-float calling convention; the device program is hard-float (Debian armhf).
// Only one function of that library passes a floating-point value: the Makefile renames
// it in a copy of the archive and this wrapper calls it with the soft-float convention,
// so Character.wholeNumberValue and friends get the right double back.
#include <stdint.h>

__attribute__((pcs("aapcs"))) double _swift_stdlib_getNumericValue_softfp(uint32_t scalar);

double _swift_stdlib_getNumericValue(uint32_t scalar) {
    return _swift_stdlib_getNumericValue_softfp(scalar);
}
