LIBS_qmail-newmrh = -lcdb
LIBS_qmail-smtpd = -lcdb
# qmail-remote and DNS tools
LIBS_qmail-remote = -lresolv
LIBS_dnsip = -lresolv
LIBS_dnsmxip = -lresolv
LIBS_dnsptr = -lresolv
LIBS_dnscname = -lresolv
LIBS_dnsfq = -lresolv
# qmail-tlsd is the only SMTP program that links OpenSSL (DESIGN.md 6)
LIBS_qmail-tlsd = -lssl -lcrypto
