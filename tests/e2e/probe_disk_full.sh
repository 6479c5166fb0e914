#!/usr/bin/env bash
# probe_disk_full: disk_full.sh with --backend probe (review F10): the
# probe's traces stop the same way on a full disk, with the same note and
# exit code.
DISK_FULL_BACKEND=probe exec bash "$(dirname "$0")/disk_full.sh"
