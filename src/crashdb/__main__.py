from crashdb.cli import main

main()
