# qmail-checkpassword checks hashes with crypt(3) from libcrypt (libxcrypt)
LIBS_qmail-checkpassword = -lcrypt
