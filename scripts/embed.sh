#!/bin/sh
# embed.sh OUT SYMBOL FILE: writes a C file defining `const char SYMBOL[]` with FILE's bytes, for embedded defaults.
set -eu
out=$1 sym=$2 file=$3
{
	printf '/* Generated from %s by scripts/embed.sh; do not edit. */\n' "$file"
	printf 'extern const char %s[];\nconst char %s[] =\n' "$sym" "$sym"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' -e 's/^/"/' -e 's/$/\\n"/' "$file"
	printf ';\n'
} > "$out.tmp"
mv "$out.tmp" "$out"
