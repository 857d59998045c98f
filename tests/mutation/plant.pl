#!/usr/bin/perl
# Plants one mutant of a mutant list into a tree (see run.sh).
#   plant.pl LIST --names          the mutants' names, one a line
#   plant.pl LIST --test NAME      the unit test to run first for mutant NAME (may be empty)
#   plant.pl LIST --needs NAME     the processor flags (/proc/cpuinfo's names) mutant NAME's
#                                  code needs to run at all, space-separated (may be empty)
#   plant.pl LIST NAME ROOT        applies mutant NAME to the files under ROOT and prints
#                                  the mutated file's path (relative to ROOT)
# A mutant replaces the text `old` by `new` exactly once inside function `in` of `file`
# (in = "-": anywhere in the file). Exit 0 when planted; 2 with a message when the list
# is malformed, the mutant unknown, or `old` does not occur exactly once there — the
# list then needs updating to the code, never a silent pass.
use strict;
use warnings;

sub fail { print STDERR "plant: $_[0]\n"; exit 2; }

my ($list, $name, $root) = @ARGV;
fail("usage: plant.pl LIST --names | plant.pl LIST NAME ROOT") unless defined $name;
open(my $fh, '<', $list) or fail("$list: $!");
my (@mutants, $cur);
while (my $line = <$fh>) {
    chomp $line;
    next if $line =~ /^\s*#/;
    if ($line =~ /^\s*$/) { $cur = undef; next; }
    $line =~ /^(name|file|in|old|new|test|needs)\s+(.*?)\s*$/
        or fail("$list:$.: expected name/file/in/old/new/test/needs");
    my ($key, $val) = ($1, $2);
    if ($key eq 'name') { $cur = { name => $val, line => $. }; push @mutants, $cur; next; }
    fail("$list:$.: '$key' before any 'name'") unless $cur;
    $cur->{$key} = $val;
}
close $fh;
for my $m (@mutants) {
    for my $k (qw(file in old new)) {
        fail("$list:$m->{line}: mutant $m->{name} has no '$k'") unless defined $m->{$k};
    }
}
if ($name eq '--names') { print "$_->{name}\n" for @mutants; exit 0; }
if ($name eq '--test' || $name eq '--needs') {
    my ($t) = grep { $_->{name} eq ($root // '') } @mutants;
    fail("no mutant named " . ($root // '') . " in $list") unless $t;
    print(($t->{substr($name, 2)} // '') . "\n");
    exit 0;
}

my ($m) = grep { $_->{name} eq $name } @mutants;
fail("no mutant named $name in $list") unless $m;
my $path = "$root/$m->{file}";
open(my $in, '<', $path) or fail("$name: $path: $!");
my $src = do { local $/; <$in> };
close $in;

# The function's definition: a line at column 0 naming it, its parameters, '{', up to the
# first '}' at column 0.
my ($start, $len) = (0, length $src);
if ($m->{in} ne '-') {
    $src =~ /^[A-Za-z][^\n;]*\b\Q$m->{in}\E\([^;{]*\{\n.*?^\}\n/ms
        or fail("$name: no function $m->{in} in $m->{file}");
    ($start, $len) = ($-[0], $+[0] - $-[0]);
}
my $body = substr($src, $start, $len);
my $count = () = $body =~ /\Q$m->{old}\E/g;
fail("$name: '$m->{old}' occurs $count times in $m->{in} of $m->{file} (must be once)")
    unless $count == 1;
$body =~ s/\Q$m->{old}\E/$m->{new}/;
substr($src, $start, $len) = $body;
open(my $out, '>', $path) or fail("$name: $path: $!");
print $out $src;
close $out or fail("$name: $path: $!");
print "$m->{file}\n";
exit 0;
