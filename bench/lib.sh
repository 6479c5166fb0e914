# lib.sh - what the bench drivers share: medians and ratios of their runs.
# Sourced by run-churn.sh, run-nginx.sh, run-scale.sh and run-python.sh.

# median < NUMBERS: the median of one number a line (the mean of the middle
# two for an even count).
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ratio A B: A / B to three decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# col FIELD FILE: the median of space-separated column FIELD of FILE.
col() { cut -d' ' -f"$1" "$2" | median; }

# paired FIELD A B: each line's column FIELD of A over the same line's of B
# (one round's traced run over its bare run), as "median [q1-q3]".
paired() {
    paste -d' ' <(cut -d' ' -f"$1" "$2") <(cut -d' ' -f"$1" "$3") |
        awk '{ print $1 / $2 }' | sort -g |
        awk '{ v[NR] = $1 }
             END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                   q1 = v[int((NR - 1) / 4) + 1]; q3 = v[NR - int((NR - 1) / 4)]
                   printf "%.3f [%.3f-%.3f]", m, q1, q3 }'
}
