/* Replaying a fuzz corpus in a unit test: every file in dir (names that
 * start with '.' are skipped; at most the first 64 KiB of each) is fed to
 * one, the fuzz target. How many files were fed; 0 when dir cannot be
 * opened. */
#ifndef WEFT_TEST_CORPUS_REPLAY_H
#define WEFT_TEST_CORPUS_REPLAY_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static inline int corpus_replay_dir(const char *dir,
				    int (*one)(const uint8_t *, size_t))
{
	static uint8_t buf[1 << 16];
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		char path[8400];
		FILE *f;
		size_t len;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		(void)one(buf, len);
		n++;
	}
	closedir(dp);
	return n;
}

#endif
