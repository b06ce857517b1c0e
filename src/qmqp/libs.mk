# qmail-qmtpd reads control/morercpthosts.cdb with tinycdb
LIBS_qmail-qmtpd = -lcdb
