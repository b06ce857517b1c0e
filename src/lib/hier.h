/*
 * hier.h - the installed tree under the qmail home, as one table.
 *
 * install(8) creates the tree from this table and instcheck(8) verifies it
 * against the same table, so the two can never disagree about a directory,
 * an owner or a mode.  The table is data only: it says what must exist,
 * never how to make or check it.
 *
 * Every path is relative to conf_qmail_home ("" is the home itself).  The
 * owner is a qmail role and the group a qmail group (conf.h); ids.h turns
 * them into numbers at run time.  Entries come in an order in which they
 * can be created: a directory before anything inside it.
 */
#ifndef HIER_H
#define HIER_H

#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

/* Longest path relative to the home that the table or the iterator uses. */
#define HIER_PATH_MAX 256

enum hier_type {
	HIER_DIR,   /* a directory */
	HIER_SPLIT, /* a directory and its subdirectories 0..conf_split-1 */
	HIER_PROG,  /* bin/NAME, copied from the build's bin/NAME */
	HIER_OTHERPROGS, /* every other program the build made, in path */
	HIER_NOINSTALL,  /* bin/NAME: a program of the build never installed */
	HIER_COPY,  /* every file of a source directory, copied into path */
	HIER_ZERO,  /* a file of size zero bytes, made once, never rewritten */
	HIER_EMPTY, /* an empty file, made once, never rewritten */
	HIER_FIFO   /* a named pipe, made once */
};

/* Flags of an entry. */
#define HIER_REQUIRED 1 /* HIER_PROG: the tree is broken without it */
#define HIER_EXPAND 2   /* HIER_COPY: replace @QMAIL_HOME@ while copying */

struct hier_entry {
	enum hier_type type;
	const char *path; /* relative to the home; "" is the home */
	enum conf_user owner;
	enum conf_group group;
	mode_t mode;        /* as in a privileged build, see hier_mode */
	size_t size;        /* HIER_ZERO: the file's length */
	const char *source; /* HIER_COPY: directory in the source tree */
	const char *suffix; /* HIER_COPY: only names ending so, or NULL */
	unsigned int flags; /* HIER_REQUIRED, HIER_EXPAND */
};

/*
 * One thing to make or check.  A HIER_SPLIT entry yields its directory
 * and then each split subdirectory; every other entry yields itself once.
 */
struct hier_item {
	const struct hier_entry *entry;
	enum hier_type type;      /* HIER_DIR for every HIER_SPLIT item */
	char path[HIER_PATH_MAX]; /* relative to the home, NUL-terminated */
	mode_t mode;              /* hier_mode(entry) */
};

struct hier_iter {
	size_t index;      /* next table entry */
	unsigned long sub; /* next split subdirectory of that entry */
	int in_split;      /* the entry's own directory was yielded */
};

/* hier_iter_start - position it before the first item of the table */
void hier_iter_start(struct hier_iter *it);

/*
 * hier_iter_next - fill *item with the next item.  Returns 1, 0 after the
 * last item, or -1 with errno ENAMETOOLONG if a path would not fit (a
 * table or build-setting error; the iterator then skips that item).
 */
int hier_iter_next(struct hier_iter *it, struct hier_item *item);

/*
 * hier_mode - the mode e wants in this build: e->mode, without the
 * set-user-id and set-group-id bits in an unprivileged build (where every
 * role is the building user, so they would grant nothing).
 */
mode_t hier_mode(const struct hier_entry *e);

/*
 * hier_program_find - the HIER_PROG or HIER_NOINSTALL entry for the
 * program NAME (bin/NAME), or NULL if the table does not name it.
 */
const struct hier_entry *hier_program_find(const char *name);

/*
 * hier_other_programs - the HIER_OTHERPROGS entry: the owner, group and
 * mode of a built program the table does not name.  Never NULL.
 */
const struct hier_entry *hier_other_programs(void);

/*
 * hier_path - write the absolute path conf_qmail_home/rel[/name] (name may
 * be NULL; rel may be "") to buf of size bytes.  Returns 0, or -1 with
 * errno ENAMETOOLONG (buf then holds an empty string).
 */
int hier_path(char *buf, size_t size, const char *rel, const char *name);

#endif
