set terminal pngcairo size 1500,850 font ",11"
set output "bench/results.png"
set multiplot layout 2,3 title "socketiod vs Node socket.io vs python-socketio (bench/compare)"
set style fill solid 0.8 border -1
set boxwidth 0.6
set yrange [0:*]
set grid ytics
unset key
set xrange [-0.6:2.6]
set title "echo: acks per CPU-s"
plot "bench/results-raw/chart.dat" index 0 using 0:2:($0+1):xtic(1) with boxes lc variable, "" index 0 using 0:2:($2>=100 ? sprintf("%.0f",$2) : sprintf("%.3g",$2)) with labels offset 0,0.8 notitle
set title "paced fanout: deliveries per CPU-s"
plot "bench/results-raw/chart.dat" index 1 using 0:2:($0+1):xtic(1) with boxes lc variable, "" index 1 using 0:2:($2>=100 ? sprintf("%.0f",$2) : sprintf("%.3g",$2)) with labels offset 0,0.8 notitle
set title "saturated fanout: deliveries/s"
plot "bench/results-raw/chart.dat" index 2 using 0:2:($0+1):xtic(1) with boxes lc variable, "" index 2 using 0:2:($2>=100 ? sprintf("%.0f",$2) : sprintf("%.3g",$2)) with labels offset 0,0.8 notitle
set title "idle: RSS bytes per connection (lower better)"
plot "bench/results-raw/chart.dat" index 3 using 0:2:($0+1):xtic(1) with boxes lc variable, "" index 3 using 0:2:($2>=100 ? sprintf("%.0f",$2) : sprintf("%.3g",$2)) with labels offset 0,0.8 notitle
set title "echo: ack p99 ms (lower better)"
plot "bench/results-raw/chart.dat" index 4 using 0:2:($0+1):xtic(1) with boxes lc variable, "" index 4 using 0:2:($2>=100 ? sprintf("%.0f",$2) : sprintf("%.3g",$2)) with labels offset 0,0.8 notitle
set title "paced fanout: p99 ms (lower better)"
plot "bench/results-raw/chart.dat" index 5 using 0:2:($0+1):xtic(1) with boxes lc variable, "" index 5 using 0:2:($2>=100 ? sprintf("%.0f",$2) : sprintf("%.3g",$2)) with labels offset 0,0.8 notitle
unset multiplot
