/* SwiftPM needs one source file per C target; all of libsodium is reached through the header. */
