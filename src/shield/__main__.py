from shield.cli import main

main()
