LIBS_qmail-newmrh = -lcdb
LIBS_qmail-smtpd = -lcdb
# qmail-remote and DNS tools
LIBS_qmail-remote = -lresolv
LIBS_dnsip = -lresolv
LIBS_dnsmxip = -lresolv
LIBS_dnsptr = -lresolv
LIBS_dnscname = -lresolv
LIBS_dnsfq = -lresolv
