from ecomstat.cli import main

main()
