from okence import clientaddress


def test_an_ipv4_address_counts_as_itself():
    assert clientaddress.network("192.0.2.1") == "192.0.2.1"
    assert clientaddress.network("192.0.2.1") != clientaddress.network("192.0.2.2")


def test_ipv6_addresses_in_one_64_count_as_one_sender():
    one = clientaddress.network("2001:db8:1:2::1")
    assert one == clientaddress.network("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert one != clientaddress.network("2001:db8:1:3::1")


def test_an_ipv4_mapped_ipv6_address_counts_as_the_ipv4_address():
    assert clientaddress.network("::ffff:192.0.2.1") == "192.0.2.1"


def test_a_scoped_ipv6_address_counts_as_its_64():
    assert clientaddress.network("fe80::1%eth0") == "fe80::/64"


def test_what_is_not_an_address_is_unknown():
    assert clientaddress.network("") == clientaddress.network(None) == "unknown"
    assert clientaddress.network("not-an-address") == "unknown"
