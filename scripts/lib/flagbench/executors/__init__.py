"""Running a sweep beyond one machine, and putting its pieces back together.

Modules, one job each:
  merge      scripts/merge.sh: shard runs into one run directory (one per machine kind)
  shards     the shard layout of a distributed run: its state file, shard directories,
             the command each shard runs, and how far the shards have got
  drive      sweep --executor parallel|slurm: submit the missing shards, poll, merge, tables
  slurm      the Slurm engine: one sbatch --array job, squeue polling, scancel
  parallel   the GNU parallel engine: one shard per ssh host at a time
  estimate   sweep --plan: machine-time per configuration from earlier runs, wall time on N nodes
No scheduling of our own: Slurm or GNU parallel decide where and when a shard runs.
"""
