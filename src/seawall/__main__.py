from seawall.cli import main

main()
