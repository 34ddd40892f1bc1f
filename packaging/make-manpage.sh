#!/usr/bin/env bash
# Writes a man page (gzipped roff) from a program's own --help, so the page never drifts
# from the program. For a program with subcommands (CLI11's "Subcommands:" list) each
# command's --help becomes a section of its own.
# Usage: make-manpage.sh PROGRAM NAME "ONE-LINE SUMMARY" VERSION DATE OUT.1.gz
set -euo pipefail
prog=$1 name=$2 summary=$3 version=$4 date=$5 out=$6

# Roff needs backslashes doubled and lines starting with . or ' escaped.
roff_text() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }

help=$("$prog" --help)
commands=$(printf '%s\n' "$help" | awk '/^Subcommands:/{f=1; next} f && /^  [a-z]/{print $1} f && /^$/{f=0}')
upper=$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
{
  printf '.TH %s 1 "%s" "%s %s" "User Commands"\n' "$upper" "$date" "$name" "$version"
  printf '.SH NAME\n%s \\- %s\n' "$name" "$summary"
  printf '.SH SYNOPSIS\n'
  if [ -n "$commands" ]; then
    printf '.B %s\n.I COMMAND\n[\\fIOPTIONS\\fR]\n' "$name"
  else
    printf '.B %s\n[\\fIOPTIONS\\fR] [\\fIPATH\\fR]\n' "$name"
  fi
  printf '.SH DESCRIPTION\n.nf\n'
  printf '%s\n' "$help" | roff_text
  printf '.fi\n'
  if [ -n "$commands" ]; then
    printf '.SH COMMANDS\n'
    for c in $commands; do
      printf '.SS %s %s\n.nf\n' "$name" "$c"
      "$prog" "$c" --help | roff_text
      printf '.fi\n'
    done
  fi
  printf '.SH EXIT STATUS\n0 on success; 1 when a check fails or differences are found; 2 on a usage error; other non-zero values on errors, which are printed as one line naming the file, tensor and byte offset.\n'
  printf '.SH SEE ALSO\n'
  if [ "$name" = strata ]; then printf '.BR strata-studio (1)\n'; else printf '.BR strata (1)\n'; fi
} > "$tmp"
gzip -9n < "$tmp" > "$out"
