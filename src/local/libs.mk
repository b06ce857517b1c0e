LIBS_qmail-newu = -lcdb
LIBS_qmail-lspawn = -lcdb
