# qmail-newrcpt reads users/cdb with tinycdb
LIBS_qmail-newrcpt = -lcdb
