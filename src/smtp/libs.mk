LIBS_qmail-newmrh = -lcdb
LIBS_qmail-smtpd = -lcdb
# qmail-remote and DNS tools
LIBS_qmail-remote = -lresolv
LIBS_dnsip = -lresolv
LIBS_dnsmxip = -lresolv
LIBS_dnsptr = -lresolv
LIBS_dnscname = -lresolv
LIBS_dnsfq = -lresolv
# qmail-tlsd and qmail-tlsc are the only SMTP programs that link OpenSSL
# (DESIGN.md 6); qmail-smtpd and qmail-remote run them for TLS
LIBS_qmail-tlsd = -lssl -lcrypto
LIBS_qmail-tlsc = -lssl -lcrypto
