#!/usr/bin/env bash
# Not a boot test: the house style check that `make test` runs with the
# others. Every C file and header must be as clang-format (the repository's
# .clang-format, Linux kernel style) would write it; `make format` fixes it.
set -u
cd "${SHADE_ROOT:-.}" || exit 1
bad=0
while IFS= read -r f; do
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "not clang-formatted: $f"
		bad=$((bad + 1))
	fi
done < <(git ls-files -co --exclude-standard '*.c' '*.h')
[ "$bad" -eq 0 ] || { echo "$bad file(s) need 'make format'"; exit 1; }
echo "source-format: ok"
